/** The POP3 account a retrieval measurement empties, always on 127.0.0.1. */
export interface PopTarget {
  /** Port of implicit TLS: Dovecot's own, or the latency proxy's. */
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** PEM file of the CA that signed Dovecot's certificate. */
  readonly caPath: string;
}

/** What one client did to empty the account. */
export interface Retrieval {
  /** Wall time of the whole retrieval. */
  readonly seconds: number;
  /** CPU time the client used meanwhile (the server's is not counted). */
  readonly cpuSeconds: number;
  /** Messages the client handed on (delivered, or turned into outcomes). */
  readonly retrieved: number;
  /** Tool-specific facts kept in the JSON report. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** Options every retrieval client takes. */
export interface RetrievalOptions {
  /** Directory for the client's own files (config, delivered mail). */
  readonly workDir: string;
  /** Longest the client may take before it is killed. */
  readonly timeoutMs: number;
}

/** The only host any client is pointed at. */
export const LOOPBACK = '127.0.0.1';
