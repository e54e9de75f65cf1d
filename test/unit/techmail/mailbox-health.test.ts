import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/commons/errors.js';
import { defaultMailSettings } from '../../../functions/mailboxes/mail-settings.js';
import {
  emptyCounts,
  type Mailbox,
  type Run,
} from '../../../functions/model.js';
import {
  Pop3AuthError,
  Pop3NetworkError,
  Pop3ProtocolError,
  Pop3TimeoutError,
} from '../../../functions/pop3/errors.js';
import {
  BACKOFF_AFTER_FAILURES,
  BACKOFF_PERIOD_MS,
  describeFailure,
  healthAfter,
} from '../../../functions/techmail/mailbox-health.js';

const NOW = new Date('2026-12-04T12:00:00.000Z');

function mailbox(consecutiveFailures: number): Mailbox {
  return {
    id: 'mbx-1',
    name: 'Support',
    popServer: 'pop.example.test',
    popPort: 995,
    security: 'tls',
    popAccount: 'support',
    interfaceId: 'default',
    enabled: true,
    leaveOnServer: false,
    maxMessageBytes: 1024 * 1024,
    ...defaultMailSettings('support'),
    secretName: 'techmail/mailboxes/mbx-1',
    status: consecutiveFailures > 0 ? 'failing' : 'ok',
    consecutiveFailures,
    createdAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
  };
}

function finishedRun(error?: Run['error']): Run {
  return {
    runId: 'run-1',
    mailboxId: 'mbx-1',
    trigger: 'schedule',
    status: error ? 'failed' : 'succeeded',
    queuedAt: '2026-12-04T11:59:00.000Z',
    startedAt: '2026-12-04T11:59:01.000Z',
    finishedAt: NOW.toISOString(),
    counts: { ...emptyCounts(), seen: 2, created: 2 },
    messages: [],
    error,
  };
}

describe('mailbox health', () => {
  describe('describeFailure', () => {
    it.each([
      [new Pop3AuthError('AUTH', 'bad password'), 'LoginRejected'],
      [new Pop3TimeoutError('RETR', 30_000), 'Timeout'],
      [new Pop3NetworkError('CONNECTION_REFUSED', 'refused'), 'NetworkError'],
      [new Pop3ProtocolError('UIDL', 'UIDL refused'), 'ProtocolError'],
      [new ValidationError('popPort', 'popPort is wrong'), 'ValidationError'],
    ])('gives %s the code %s and its own message', (error, code) => {
      const described = describeFailure(error);

      expect(described).toEqual({ code, message: error.message });
    });

    it('hides the message of an error that is not ours', () => {
      const error = new Error('socket to 10.0.0.7 leaked secret-token');

      const described = describeFailure(error);

      expect(described.code).toBe('InternalError');
      expect(described.message).not.toContain('secret-token');
    });
  });

  describe('healthAfter', () => {
    it('resets failures and reports the run after a success', () => {
      const run = finishedRun();

      const health = healthAfter(mailbox(3), run, undefined, NOW);

      expect(health).toEqual({
        status: 'ok',
        consecutiveFailures: 0,
        lastRun: {
          runId: 'run-1',
          status: 'succeeded',
          startedAt: run.startedAt,
          finishedAt: run.finishedAt,
          counts: run.counts,
        },
      });
    });

    it('marks a rejected login as login-failed with the error message', () => {
      const error = new Pop3AuthError('AUTH', 'bad password');
      const run = finishedRun(describeFailure(error));

      const health = healthAfter(mailbox(0), run, error, NOW);

      expect(health).toMatchObject({
        status: 'login-failed',
        consecutiveFailures: 1,
        lastError: error.message,
      });
      expect(health.backoffUntil).toBeUndefined();
    });

    it('marks other failures as failing', () => {
      const error = new Pop3TimeoutError('LIST', 30_000);

      const health = healthAfter(
        mailbox(1),
        finishedRun(describeFailure(error)),
        error,
        NOW,
      );

      expect(health).toMatchObject({
        status: 'failing',
        consecutiveFailures: 2,
      });
    });

    it(`sets backoffUntil from the ${BACKOFF_AFTER_FAILURES}th failure in a row`, () => {
      const error = new Pop3AuthError('AUTH', 'bad password');
      const run = finishedRun(describeFailure(error));

      const health = healthAfter(
        mailbox(BACKOFF_AFTER_FAILURES - 1),
        run,
        error,
        NOW,
      );

      expect(health.backoffUntil).toBe(
        new Date(NOW.getTime() + BACKOFF_PERIOD_MS).toISOString(),
      );
    });
  });
});
