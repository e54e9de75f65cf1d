import { isIP, type Socket, connect as tcpConnect } from 'node:net';
import { type SecureVersion, connect as tlsConnect } from 'node:tls';
import {
  Pop3NetworkError,
  Pop3TimeoutError,
  toPop3NetworkError,
} from './errors.js';

/**
 * TLS settings a caller may change. Certificate checks cannot be turned
 * off; trust a private CA through `NODE_EXTRA_CA_CERTS` or `ca`.
 */
export interface Pop3TlsOptions {
  /**
   * Trusted CA certificates (PEM). Replaces Node's bundled roots, so use it
   * for tests or pinning; `NODE_EXTRA_CA_CERTS` adds to them instead.
   * @default Node's bundled roots plus `NODE_EXTRA_CA_CERTS`
   */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer>;
  /**
   * Name sent as SNI and checked against the certificate.
   * @default the host, unless it is an IP address
   */
  readonly servername?: string;
  /**
   * Oldest TLS version accepted.
   * @default 'TLSv1.2'
   */
  readonly minVersion?: SecureVersion;
}

/** Where and how to open the connection. */
export interface TransportOptions {
  /** Server host name or IP address. */
  readonly host: string;
  /** Server TCP port. */
  readonly port: number;
  /** `true` for implicit TLS, `false` for a plain TCP socket. */
  readonly implicitTls: boolean;
  /** Deadline of the TCP connect plus TLS handshake, and of STLS. */
  readonly connectTimeoutMs: number;
  /** Caller's TLS settings, if any. */
  readonly tls: Pop3TlsOptions | undefined;
}

/**
 * Opens the TCP connection, and completes the TLS handshake when
 * `implicitTls` is set.
 * @param options endpoint, TLS settings and deadline
 * @returns a connected socket with no listeners of ours left on it
 * @throws {Pop3NetworkError} when the connection or handshake fails
 * @throws {Pop3TimeoutError} when it takes longer than `connectTimeoutMs`
 */
export function openSocket(options: TransportOptions): Promise<Socket> {
  const { host, port } = options;
  const socket = options.implicitTls
    ? tlsConnect({ port, ...secureContextOptions(options) })
    : tcpConnect({ host, port });
  socket.setNoDelay(true);

  return awaitReady(
    socket,
    options.implicitTls ? 'secureConnect' : 'connect',
    'CONNECT',
    options,
  );
}

/**
 * Starts TLS on a connected socket after the server accepted STLS.
 * @param socket the plain socket, with no listeners of ours on it
 * @param options endpoint, TLS settings and deadline
 * @returns the TLS socket wrapping `socket`
 * @throws {Pop3NetworkError} when the handshake or certificate check fails
 * @throws {Pop3TimeoutError} when it takes longer than `connectTimeoutMs`
 */
export function upgradeSocket(
  socket: Socket,
  options: TransportOptions,
): Promise<Socket> {
  const secure = tlsConnect({ socket, ...secureContextOptions(options) });

  return awaitReady(secure, 'secureConnect', 'STLS', options);
}

function secureContextOptions(options: TransportOptions) {
  const servername =
    options.tls?.servername ?? (isIP(options.host) ? undefined : options.host);

  return {
    servername,
    host: options.host,
    ca: options.tls?.ca as string | Buffer | Array<string | Buffer> | undefined,
    minVersion: options.tls?.minVersion ?? 'TLSv1.2',
    rejectUnauthorized: true,
  };
}

function awaitReady(
  socket: Socket,
  readyEvent: 'connect' | 'secureConnect',
  step: string,
  options: TransportOptions,
): Promise<Socket> {
  const endpoint = `${options.host}:${options.port}`;

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      fail(new Pop3TimeoutError(step, options.connectTimeoutMs));
    }, options.connectTimeoutMs);
    const onError = (error: Error) => fail(toPop3NetworkError(error, endpoint));
    const onClose = () =>
      fail(
        new Pop3NetworkError(
          'CONNECTION_CLOSED',
          `POP3 server ${endpoint} closed the connection during ${step}; check the port and security setting`,
        ),
      );
    const onReady = () => {
      cleanUp();
      resolve(socket);
    };
    const cleanUp = () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off(readyEvent, onReady);
    };
    const fail = (error: Error) => {
      cleanUp();
      socket.destroy();
      reject(error);
    };

    socket.once(readyEvent, onReady);
    socket.on('error', onError);
    socket.once('close', onClose);
  });
}
