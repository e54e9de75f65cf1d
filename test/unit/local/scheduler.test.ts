import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  buildScheduledEvent,
  parseScheduleSwitch,
  SCHEDULE_RATE_MS,
  startScheduler,
} from '../../../lib/local/scheduler.js';

describe('startScheduler', () => {
  const logger = new Logger({ logLevel: 'SILENT' });

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('invokes with a scheduled event every 15 minutes', () => {
    const invoke = vi.fn();
    const scheduler = startScheduler({ invoke, logger });

    vi.advanceTimersByTime(SCHEDULE_RATE_MS - 1);
    const early = invoke.mock.calls.length;
    vi.advanceTimersByTime(1 + SCHEDULE_RATE_MS);
    scheduler.stop();

    expect(SCHEDULE_RATE_MS).toBe(900_000);
    expect(early).toBe(0);
    expect(invoke).toHaveBeenCalledTimes(2);
    expect(invoke.mock.calls[0]?.[0]).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
    });
  });

  it('never keeps the process alive on its own', () => {
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');

    const scheduler = startScheduler({ invoke: vi.fn(), logger });
    const timer = setIntervalSpy.mock.results[0]?.value as NodeJS.Timeout;
    scheduler.stop();

    expect(timer.hasRef()).toBe(false);
  });

  it('starts no timer when switched off', () => {
    const invoke = vi.fn();

    const scheduler = startScheduler({ invoke, enabled: false, logger });
    vi.advanceTimersByTime(10 * SCHEDULE_RATE_MS);

    expect(scheduler.enabled).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    expect(invoke).not.toHaveBeenCalled();
  });

  it('invokes nothing after stop', () => {
    const invoke = vi.fn();
    const scheduler = startScheduler({ invoke, rateMs: 10, logger });

    scheduler.stop();
    vi.advanceTimersByTime(100);

    expect(vi.getTimerCount()).toBe(0);
    expect(invoke).not.toHaveBeenCalled();
  });

  it('logs a failed tick and keeps the schedule', () => {
    const logged = vi.spyOn(logger, 'error');
    const invoke = vi.fn(() => {
      throw new Error('stopped');
    });
    const scheduler = startScheduler({ invoke, rateMs: 10, logger });

    vi.advanceTimersByTime(25);
    scheduler.stop();

    expect(invoke).toHaveBeenCalledTimes(2);
    expect(logged).toHaveBeenCalledTimes(2);
  });
});

describe('parseScheduleSwitch', () => {
  it('turns the schedule off for "off"', () => {
    expect(parseScheduleSwitch('off')).toBe(false);
    expect(parseScheduleSwitch(' OFF ')).toBe(false);
  });

  it('keeps the schedule on when unset or "on"', () => {
    expect(parseScheduleSwitch(undefined)).toBe(true);
    expect(parseScheduleSwitch('')).toBe(true);
    expect(parseScheduleSwitch('on')).toBe(true);
  });

  it('throws ValidationError naming the variable for a typo', () => {
    expect(() => parseScheduleSwitch('of')).toThrow(
      expect.objectContaining({
        name: 'ValidationError',
        field: 'TECHMAIL_SCHEDULE',
      }),
    );
  });
});

describe('buildScheduledEvent', () => {
  it('stamps the time in whole seconds with the rule as resource', () => {
    const event = buildScheduledEvent(new Date('2026-12-04T10:15:00.123Z'));

    expect(event.time).toBe('2026-12-04T10:15:00Z');
    expect(event.resources[0]).toMatch(/^arn:aws:events:[\w-]+:\d{12}:rule\//);
    expect(event.detail).toEqual({});
  });
});
