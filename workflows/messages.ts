// Queries, signals and updates of the incident workflow, defined once and shared with clients.
import { defineQuery } from '@temporalio/workflow';
import type { IncidentState } from './types';

export const incidentStateQuery = defineQuery<IncidentState>('incidentState');
