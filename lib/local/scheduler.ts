import { randomUUID } from 'node:crypto';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { ScheduledEvent } from 'aws-lambda';
import { ValidationError } from '../../functions/commons/errors.js';
import {
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  localRuntimeLogger,
} from './http-support.js';

/** The EventBridge rule's rate: `rate(15 minutes)`. */
export const SCHEDULE_RATE_MS = 15 * 60 * 1000;

/** Name of the rule in the events' `resources` ARN. */
const RULE_NAME = 'techmail-local-schedule';

/** Options of {@link startScheduler}. */
export interface SchedulerOptions {
  /** Called with each scheduled event; runs the fan-out function. */
  readonly invoke: (event: ScheduledEvent) => unknown;
  /**
   * `false` starts no timer at all (`TECHMAIL_SCHEDULE=off`).
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Time between events.
   * @default SCHEDULE_RATE_MS (15 minutes)
   */
  readonly rateMs?: number;
  /**
   * Where a failed tick is logged.
   * @default localRuntimeLogger
   */
  readonly logger?: Logger;
}

/** A running (or disabled) schedule. */
export interface Scheduler {
  /** Whether a timer is running. */
  readonly enabled: boolean;
  /** Clears the timer; safe to call more than once. */
  stop(): void;
}

/**
 * Reads the `TECHMAIL_SCHEDULE` switch.
 *
 * @param value the variable's value
 * @returns `false` for `off`, `true` for `on` or when unset
 * @throws ValidationError naming TECHMAIL_SCHEDULE for any other value
 */
export function parseScheduleSwitch(value: string | undefined): boolean {
  const setting = (value ?? '').trim().toLowerCase();
  if (setting === '' || setting === 'on') return true;
  if (setting === 'off') return false;

  throw new ValidationError(
    'TECHMAIL_SCHEDULE',
    `TECHMAIL_SCHEDULE must be "on" or "off", not "${value}"`,
  );
}

/**
 * Builds the event EventBridge sends for a scheduled rule.
 *
 * @param time when the rule fired
 * @default time now
 * @returns a "Scheduled Event"
 */
export function buildScheduledEvent(time: Date = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: LOCAL_ACCOUNT_ID,
    // EventBridge stamps whole seconds.
    time: `${time.toISOString().slice(0, 19)}Z`,
    region: LOCAL_REGION,
    resources: [
      `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:rule/${RULE_NAME}`,
    ],
    detail: {},
  };
}

/**
 * Fires a scheduled event at a fixed rate, as the EventBridge rule does on
 * AWS; the first one comes one period after start. The timer never keeps
 * the process alive on its own.
 *
 * @param options what to invoke, how often, and the on/off switch
 * @returns the scheduler, with `stop()`
 */
export function startScheduler(options: SchedulerOptions): Scheduler {
  if (options.enabled === false) {
    return { enabled: false, stop: () => undefined };
  }
  const log = options.logger ?? localRuntimeLogger;
  const timer = setInterval(() => {
    try {
      options.invoke(buildScheduledEvent());
    } catch (error) {
      log.error('scheduled invocation failed', { error });
    }
  }, options.rateMs ?? SCHEDULE_RATE_MS);
  timer.unref();

  return { enabled: true, stop: () => clearInterval(timer) };
}
