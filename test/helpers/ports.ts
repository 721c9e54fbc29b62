// Free loopback ports for servers a test starts.
export { freePort } from '../../common/ports';
