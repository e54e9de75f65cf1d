import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A TCP socket a process listens on. */
export interface ListeningSocket {
  /** `tcp` (IPv4) or `tcp6`. */
  readonly family: 'tcp' | 'tcp6';
  /** The bound address, e.g. `127.0.0.1` or `0.0.0.0`. */
  readonly address: string;
  readonly port: number;
}

/**
 * The TCP sockets a process listens on, read from /proc (Linux) without
 * connecting to anything: the socket inodes among the process's open files,
 * matched against the kernel's LISTEN table.
 *
 * @param pid the process
 * @returns every listening socket it holds
 */
export function listeningSockets(pid: number): ListeningSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // The descriptor closed while the directory was read.
    }
  }

  return (['tcp', 'tcp6'] as const).flatMap((family) =>
    readFileSync(`/proc/net/${family}`, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      // Field 3 is the state (0A: LISTEN), field 9 the inode.
      .filter((fields) => fields[3] === '0A' && inodes.has(fields[9] ?? ''))
      .map((fields) => toSocket(family, fields[1] ?? '')),
  );
}

function toSocket(family: 'tcp' | 'tcp6', local: string): ListeningSocket {
  const [hex = '', portHex = '0'] = local.split(':');
  const port = Number.parseInt(portHex, 16);
  if (family === 'tcp6') return { family, address: hex, port };
  // /proc prints IPv4 addresses as a little-endian 32-bit number.
  const bytes = hex.match(/../g)?.map((pair) => Number.parseInt(pair, 16));

  return { family, address: (bytes ?? []).reverse().join('.'), port };
}
