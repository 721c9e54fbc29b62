// Workflow entry points registered with the worker.
export { runPlaybook } from './run-playbook';
