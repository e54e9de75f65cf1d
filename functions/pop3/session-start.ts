import type { CommandPipeline } from './command-pipeline.js';
import { Pop3ProtocolError } from './errors.js';
import { logIn } from './login.js';
import type { ResolvedPop3Options } from './options.js';
import {
  assertOk,
  NO_CAPABILITIES,
  type Pop3Capabilities,
  parseCapabilities,
} from './replies.js';
import { type TransportOptions, upgradeSocket } from './transport.js';

/**
 * Runs everything from the greeting to TRANSACTION state: CAPA, STLS when
 * asked, login, and CAPA again.
 * @param pipeline a pipeline on a fresh connection, greeting still due
 * @param settings the resolved connect options
 * @param transport endpoint and TLS settings, for the STLS upgrade
 * @returns the capabilities advertised after login
 * @throws {Pop3ProtocolError} when the greeting is `-ERR` or STLS is missing
 * @throws {Pop3AuthError} when the login is refused
 */
export async function startSession(
  pipeline: CommandPipeline,
  settings: ResolvedPop3Options,
  transport: TransportOptions,
): Promise<Pop3Capabilities> {
  const greeting = await pipeline.readGreeting();
  assertOk(greeting, 'GREETING', { retryable: true });
  let capabilities = await readCapabilities(pipeline);
  if (settings.security === 'starttls') {
    await startTls(pipeline, capabilities, transport);
    // RFC 2595: capabilities learned before TLS must be forgotten.
    capabilities = await readCapabilities(pipeline);
  }
  await logIn(pipeline, capabilities, settings);

  // RFC 2449: a server may announce more (PIPELINING) once logged in.
  return readCapabilities(pipeline);
}

async function readCapabilities(
  pipeline: CommandPipeline,
): Promise<Pop3Capabilities> {
  const reply = await pipeline.send('CAPA', 'CAPA', 'multi');

  return reply.status === 'ok' && reply.body !== undefined
    ? parseCapabilities(reply.body)
    : NO_CAPABILITIES;
}

async function startTls(
  pipeline: CommandPipeline,
  capabilities: Pop3Capabilities,
  transport: TransportOptions,
): Promise<void> {
  if (!capabilities.names.has('STLS')) {
    throw new Pop3ProtocolError(
      'STLS',
      `POP3 server ${transport.host}:${transport.port} does not offer STLS; use security "tls" (port 995) or have STLS enabled on the server`,
    );
  }
  assertOk(await pipeline.send('STLS', 'STLS', 'single'), 'STLS');
  const secure = await upgradeSocket(pipeline.detachSocket(), transport);
  pipeline.attachSocket(secure);
}
