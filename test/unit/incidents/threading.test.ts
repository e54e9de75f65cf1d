import { describe, expect, it, vi } from 'vitest';
import {
  decideThread,
  MAX_SUBJECT_REFERENCE_LOOKUPS,
  type ThreadLookup,
} from '../../../functions/incidents/threading.js';

type Message = Parameters<typeof decideThread>[0];

/** A lookup over fixed data, recording the calls it gets. */
function fakeLookup(
  incidentsById: Record<string, string>,
  existing: string[] = [],
): ThreadLookup & {
  findByMessageIds: ReturnType<typeof vi.fn>;
  exists: ReturnType<typeof vi.fn>;
} {
  const byId = new Map(
    Object.entries(incidentsById).map(([id, ref]) => [id.toLowerCase(), ref]),
  );

  return {
    findByMessageIds: vi.fn(async (ids: string[]) => {
      const known = ids.find((id) => byId.has(id.toLowerCase()));
      return known === undefined ? undefined : byId.get(known.toLowerCase());
    }),
    exists: vi.fn(async (ref: string) => existing.includes(ref)),
  };
}

function message(overrides: Partial<Message> = {}): Message {
  return { inReplyTo: [], references: [], subject: '', ...overrides };
}

describe('decideThread', () => {
  it('threads by In-Reply-To first', async () => {
    const lookup = fakeLookup(
      { 'parent@x': '261204-000001', 'root@x': '261201-000009' },
      ['261130-000005'],
    );

    const decision = await decideThread(
      message({
        inReplyTo: ['parent@x'],
        references: ['root@x'],
        subject: '[Incident: 261130-000005]',
      }),
      lookup,
    );

    expect(decision).toEqual({
      kind: 'thread',
      referenceNumber: '261204-000001',
      via: 'in-reply-to',
    });
  });

  it('asks for every In-Reply-To id in one lookup', async () => {
    const lookup = fakeLookup({ 'two@x': '261204-000002' });

    const decision = await decideThread(
      message({ inReplyTo: ['one@x', 'two@x'] }),
      lookup,
    );

    expect(decision).toMatchObject({ referenceNumber: '261204-000002' });
    expect(lookup.findByMessageIds).toHaveBeenCalledWith(['one@x', 'two@x']);
  });

  it('falls back to References, newest first', async () => {
    const lookup = fakeLookup({
      'root@x': '261201-000001',
      'newer@x': '261202-000002',
    });

    const decision = await decideThread(
      message({
        inReplyTo: ['unknown@x'],
        references: ['root@x', 'newer@x', 'unknown@x'],
      }),
      lookup,
    );

    expect(decision).toEqual({
      kind: 'thread',
      referenceNumber: '261202-000002',
      via: 'references',
    });
    expect(lookup.findByMessageIds).toHaveBeenLastCalledWith([
      'newer@x',
      'root@x',
    ]);
  });

  it('falls back to a subject reference number that exists', async () => {
    const lookup = fakeLookup({}, ['261204-000002']);

    const decision = await decideThread(
      message({
        references: ['gone@x'],
        subject: 'Re: 261204-000001 [Incident: 261204-000002]',
      }),
      lookup,
    );

    expect(decision).toEqual({
      kind: 'thread',
      referenceNumber: '261204-000002',
      via: 'subject',
    });
  });

  it('starts a new incident when nothing is known', async () => {
    const lookup = fakeLookup({}, []);

    const decision = await decideThread(
      message({
        inReplyTo: ['a@x'],
        references: ['b@x'],
        subject: '[Incident: 261204-000001]',
      }),
      lookup,
    );

    expect(decision).toEqual({ kind: 'new' });
  });

  it('does not query the store for a message without ids or numbers', async () => {
    const lookup = fakeLookup({});

    const decision = await decideThread(message({ subject: 'Hello' }), lookup);

    expect(decision).toEqual({ kind: 'new' });
    expect(lookup.findByMessageIds).not.toHaveBeenCalled();
    expect(lookup.exists).not.toHaveBeenCalled();
  });

  it('never looks up the message by its own Message-ID', async () => {
    const lookup = fakeLookup({ 'self@x': '261204-000009' });

    const decision = await decideThread(
      message({
        messageId: 'SELF@x',
        inReplyTo: ['self@x'],
        references: ['Self@X'],
      }),
      lookup,
    );

    expect(decision).toEqual({ kind: 'new' });
    expect(lookup.findByMessageIds).not.toHaveBeenCalled();
  });

  it('does not ask again for References ids already asked as In-Reply-To', async () => {
    const lookup = fakeLookup({});

    await decideThread(
      message({ inReplyTo: ['a@x'], references: ['A@X', 'b@x'] }),
      lookup,
    );

    expect(lookup.findByMessageIds).toHaveBeenLastCalledWith(['b@x']);
  });

  it('checks at most MAX_SUBJECT_REFERENCE_LOOKUPS subject numbers', async () => {
    const lookup = fakeLookup({}, []);
    const refs = Array.from(
      { length: MAX_SUBJECT_REFERENCE_LOOKUPS + 3 },
      (_, i) => `#261204-${String(i + 1).padStart(6, '0')}`,
    );

    await decideThread(message({ subject: refs.join(' ') }), lookup);

    expect(lookup.exists).toHaveBeenCalledTimes(MAX_SUBJECT_REFERENCE_LOOKUPS);
  });
});
