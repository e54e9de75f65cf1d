import { inspect } from 'node:util';
import type { Pop3ConnectOptions } from '../../../functions/pop3/options.js';
import { Pop3Session } from '../../../functions/pop3/pop3-session.js';
import {
  FakePop3Server,
  type FakePop3ServerOptions,
} from '../../support/fake-pop3-server.js';

/** Password the fake server accepts unless a test says otherwise. */
export const PASSWORD = 's3cret';

/**
 * Tracks servers and sessions a test opens so `cleanUp` can end them all.
 */
export class Harness {
  private readonly servers: FakePop3Server[] = [];
  private readonly sessions: Pop3Session[] = [];

  /**
   * Starts a fake server that is closed by {@link cleanUp}.
   * @param options server behaviour
   * @returns the server
   */
  async server(options: FakePop3ServerOptions = {}): Promise<FakePop3Server> {
    const server = await FakePop3Server.start(options);
    this.servers.push(server);

    return server;
  }

  /**
   * Connects to a fake server in plain text as `alice`.
   * @param server the fake server
   * @param options overrides of the connect options
   * @returns the session, closed by {@link cleanUp}
   */
  async connect(
    server: FakePop3Server,
    options: Partial<Pop3ConnectOptions> = {},
  ): Promise<Pop3Session> {
    const session = await Pop3Session.connect({
      host: '127.0.0.1',
      port: server.port,
      security: 'none',
      username: 'alice',
      password: PASSWORD,
      commandTimeoutMs: 2_000,
      connectTimeoutMs: 2_000,
      ...options,
    });
    this.sessions.push(session);

    return session;
  }

  /** Closes every session and server opened so far. */
  async cleanUp(): Promise<void> {
    for (const session of this.sessions.splice(0)) session.close();
    await Promise.all(this.servers.splice(0).map((server) => server.close()));
  }
}

/**
 * Awaits a promise that must reject.
 * @param promise the operation
 * @returns what it rejected with
 */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/**
 * Renders an error with every own property, hidden ones too, down its
 * whole cause chain, for checks that a secret appears nowhere.
 * @param error the error to render
 * @returns one string holding everything reachable
 */
export function renderDeep(error: unknown): string {
  const parts: string[] = [inspect(error, { depth: null, showHidden: true })];
  for (let current = error; current instanceof Error; ) {
    for (const key of Object.getOwnPropertyNames(current)) {
      parts.push(
        `${key}=${String((current as unknown as Record<string, unknown>)[key])}`,
      );
    }
    current = current.cause;
  }

  return parts.join('\n');
}
