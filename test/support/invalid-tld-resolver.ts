import dns from 'node:dns';

type Lookup = typeof dns.lookup;

/**
 * Makes `dns.lookup` (which `net.connect` and `tls.connect` use) answer
 * ENOTFOUND at once for names under `.invalid`, as RFC 6761 asks of
 * resolvers. The system resolver here would forward the query to the
 * configured name server; with this, a test of an unknown host sends
 * nothing off the machine. Other names resolve as before.
 *
 * @returns a function that puts the original lookup back
 * @example
 * const restore = refuseInvalidTld();
 * try { await connect('pop.example.invalid'); } finally { restore(); }
 */
export function refuseInvalidTld(): () => void {
  const original = dns.lookup;
  const patched = ((hostname: string, ...rest: unknown[]) => {
    const callback = rest[rest.length - 1] as (error: Error) => void;
    if (!hostname.toLowerCase().replace(/\.$/, '').endsWith('.invalid')) {
      return (original as (...args: unknown[]) => void)(hostname, ...rest);
    }
    const error = Object.assign(
      new Error(`getaddrinfo ENOTFOUND ${hostname}`),
      { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname },
    );
    process.nextTick(() => callback(error));
  }) as Lookup;
  dns.lookup = patched;

  return () => {
    if (dns.lookup === patched) dns.lookup = original;
  };
}
