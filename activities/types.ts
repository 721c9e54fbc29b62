// What every action activity receives: the rendered arguments plus where it runs.
export interface ActionInput<Args = Record<string, unknown>> {
  incidentId: string;
  stepId: string;
  /** A drill: take the dry-run path, touch nothing. */
  drill: boolean;
  args: Args;
}
