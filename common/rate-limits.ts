// The budgets Reflex keeps per key (alerts per source, failed tokens and sign-ins per address, approval
// links opened per address) come from one factory. In one process they live in memory; with several
// `reflex server` processes on one PostgreSQL (storage/rate-limits.ts) they are shared, so a budget
// holds across servers instead of multiplying by their number.
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface Budget {
  /** Names the budget; keys of different budgets never meet. */
  name: string;
  points: number;
  durationSeconds: number;
}

export type Limiter = RateLimiterAbstract;
export type Limiters = (budget: Budget) => Limiter;

/** Per-process budgets, for one server (the embedded default). */
export const memoryLimiters: Limiters = ({ name, points, durationSeconds }) =>
  new RateLimiterMemory({ keyPrefix: name, points, duration: durationSeconds });
