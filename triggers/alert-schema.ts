// The zod schemas of the Alert model's parts (workflows/model/alert.ts), for adapters and rules.
import { z } from 'zod';
import { SEVERITIES, type Entities } from '../workflows/model/alert';

export const severitySchema = z.enum(SEVERITIES);

export const entitiesSchema = z.object({
  users: z.array(z.string().min(1).max(320)).max(100).default([]),
  ips: z.array(z.string().min(1).max(64)).max(100).default([]),
  hosts: z.array(z.string().min(1).max(255)).max(100).default([]),
  apps: z.array(z.string().min(1).max(255)).max(100).default([]),
  files: z.array(z.string().min(1).max(1024)).max(100).default([]),
}) satisfies z.ZodType<Entities>;
