import type { Clock } from '../domain/clock.js';
import type { Principal } from '../domain/principal.js';

/** Everything a use case needs to know about the call it serves. */
export interface ServiceContext {
  principal: Principal;
  /** Logged with every line and written on every event row. */
  requestId: string | null;
  clock: Clock;
}
