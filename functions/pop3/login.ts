import type { CommandPipeline } from './command-pipeline.js';
import { Pop3AuthError, Pop3ProtocolError } from './errors.js';
import type { Pop3AuthMethod } from './options.js';
import { type Pop3Capabilities, readResponseCode } from './replies.js';
import type { Pop3Reply } from './response-reader.js';

/** Credentials and method for {@link logIn}. */
export interface LoginOptions {
  /** Account name, sent as is. */
  readonly username: string;
  /** Password; kept out of every error, also in base64 form. */
  readonly password: string;
  /** `plain`, `user`, or `auto` to pick from the SASL capability. */
  readonly auth: Pop3AuthMethod;
}

/**
 * Authenticates with SASL PLAIN (RFC 5034 initial response) or USER/PASS.
 * @param pipeline the session's command pipeline, in AUTHORIZATION state
 * @param capabilities what CAPA advertised
 * @param options credentials and method
 * @throws {Pop3AuthError} when the server refuses the credentials
 * @throws {Pop3ProtocolError} when it answers AUTH with a challenge
 */
export async function logIn(
  pipeline: CommandPipeline,
  capabilities: Pop3Capabilities,
  options: LoginOptions,
): Promise<void> {
  const usePlain =
    options.auth === 'plain' ||
    (options.auth === 'auto' && capabilities.saslMechanisms.has('PLAIN'));
  if (usePlain) {
    await authenticatePlain(pipeline, options);
  } else {
    await sendUserPass(pipeline, options);
  }
}

async function authenticatePlain(
  pipeline: CommandPipeline,
  options: LoginOptions,
): Promise<void> {
  const token = Buffer.from(
    `\0${options.username}\0${options.password}`,
    'utf8',
  ).toString('base64');
  const reply = await pipeline.send('AUTH', `AUTH PLAIN ${token}`, 'single');
  if (reply.status === 'continue') {
    throw new Pop3ProtocolError(
      'AUTH',
      'POP3 server sent a challenge after AUTH PLAIN with initial response; use auth "user" for this server',
    );
  }
  assertAccepted(reply, [token, ...secretForms(options.password)]);
}

async function sendUserPass(
  pipeline: CommandPipeline,
  options: LoginOptions,
): Promise<void> {
  const secrets = secretForms(options.password);
  const userReply = await pipeline.send(
    'USER',
    `USER ${options.username}`,
    'single',
  );
  assertAccepted(userReply, secrets);
  const passReply = await pipeline.send(
    'PASS',
    `PASS ${options.password}`,
    'single',
  );
  assertAccepted(passReply, secrets);
}

function assertAccepted(reply: Pop3Reply, secrets: string[]): void {
  if (reply.status === 'ok') return;

  const serverText = redact(reply.text, secrets);
  throw new Pop3AuthError(readResponseCode(serverText), serverText);
}

/** The password as it could be echoed back: raw, base64 and latin1-read. */
function secretForms(password: string): string[] {
  const bytes = Buffer.from(password, 'utf8');

  return [password, bytes.toString('base64'), bytes.toString('latin1')];
}

function redact(text: string, secrets: string[]): string {
  return secrets.reduce(
    (result, secret) => result.split(secret).join('***'),
    text,
  );
}
