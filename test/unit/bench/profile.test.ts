import { describe, expect, it } from 'vitest';
import {
  type CpuProfile,
  moduleOf,
  summarizeProfile,
} from '../../../scripts/bench/profile.js';

const PROJECT = '/work/app';

function frame(id: number, functionName: string, url: string, children = []) {
  return {
    id,
    callFrame: { functionName, url, lineNumber: 9 },
    children: children as number[],
  };
}

/**
 * root → runMailbox (project) → parse (mailparser) → readable (Node);
 * plus idle. Samples: 2 × parse, 1 × readable, 1 × idle, each 1 ms.
 */
const PROFILE: CpuProfile = {
  nodes: [
    { ...frame(1, '(root)', ''), children: [2, 5] },
    {
      ...frame(2, 'runMailbox', `file://${PROJECT}/functions/run.ts`),
      children: [3],
    },
    {
      ...frame(
        3,
        'parse',
        `file://${PROJECT}/node_modules/mailparser/lib/parser.js`,
      ),
      children: [4],
    },
    frame(4, 'read', 'node:internal/streams/readable'),
    frame(5, '(idle)', ''),
  ],
  startTime: 1_000,
  endTime: 6_000,
  samples: [3, 3, 4, 5, 3],
  timeDeltas: [0, 1_000, 1_000, 1_000, 1_000],
};

describe('summarizeProfile', () => {
  it('weighs each sample by the time to the next one and leaves idle out of the shares', () => {
    const summary = summarizeProfile(PROFILE, { projectDir: PROJECT });

    expect(summary.sampledMs).toBe(4);
    expect(summary.idleMs).toBe(1);
    expect(summary.functions[0]).toEqual({
      name: 'parse (mailparser/lib/parser.js:10)',
      ms: 2,
      share: 2 / 3,
    });
  });

  it('counts Node internals for the nearest package above them', () => {
    const summary = summarizeProfile(PROFILE, { projectDir: PROJECT });

    expect(summary.modulesSelf[0]).toMatchObject({ name: 'mailparser', ms: 3 });
  });

  it('credits callers with their callees and names the outermost module', () => {
    const summary = summarizeProfile(PROFILE, { projectDir: PROJECT });

    expect(
      summary.modulesInclusive.map(({ name, ms }) => [name, ms]).sort(),
    ).toEqual([
      ['functions/run.ts', 3],
      ['mailparser', 3],
    ]);
    expect(summary.entryModules[0]).toMatchObject({
      name: 'functions/run.ts',
      ms: 3,
    });
  });

  it('keeps only samples inside the window', () => {
    const summary = summarizeProfile(PROFILE, {
      projectDir: PROJECT,
      window: { fromUs: 2_500, toUs: 4_500 },
    });

    expect(summary.sampledMs).toBe(2);
  });
});

describe('moduleOf', () => {
  it('names scoped packages, project files and Node internal areas', () => {
    const url = (value: string) => frame(1, 'f', value);

    expect(
      moduleOf(
        url(`file://${PROJECT}/node_modules/@smithy/core/dist/index.js`),
        PROJECT,
      ),
    ).toBe('@smithy/core');
    expect(
      moduleOf(url(`file://${PROJECT}/functions/pop3/reader.ts?x=1`), PROJECT),
    ).toBe('functions/pop3/reader.ts');
    expect(moduleOf(url('node:internal/streams/readable'), PROJECT)).toBe(
      'node:internal/streams',
    );
    expect(moduleOf(frame(1, '(garbage collector)', ''), PROJECT)).toBe(
      '(garbage collector)',
    );
  });
});
