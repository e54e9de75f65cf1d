import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/commons/errors.js';
import {
  MAILBOX_FIELDS,
  validateMailboxPatch,
  validateNewMailbox,
} from '../../functions/mailboxes/validate-mailbox.js';
import {
  MAILBOX_PATCH_SCHEMA,
  NEW_MAILBOX_SCHEMA,
} from '../../lib/mailbox-schemas.js';

/** A body that sets every field the schema knows, each one valid. */
const FULL_BODY = {
  name: 'Support',
  popServer: 'pop.example.com',
  popPort: 995,
  security: 'tls',
  popAccount: 'support@example.com',
  password: 'secret',
  interfaceId: 'brand-a',
  enabled: true,
  leaveOnServer: false,
  maxMessageBytes: 1024,
  addresses: ['help@example.com'],
  autoReplyDetection: 'aggressive',
  updatePolicy: 'contact',
  floodLimit: 0,
  floodWindowHours: 168,
};

type FieldSchema = NonNullable<typeof NEW_MAILBOX_SCHEMA.properties>[string];

/** A value just inside and one just outside each limit the schema states. */
function boundaryProbes(
  field: string,
  schema: FieldSchema,
): [string, unknown, unknown][] {
  const probes: [string, unknown, unknown][] = [];
  const addresses = (count: number) =>
    Array.from({ length: count }, (_, index) => `a${index}@example.com`);
  if (schema.minimum !== undefined) {
    probes.push(['minimum', schema.minimum, schema.minimum - 1]);
  }
  if (schema.maximum !== undefined) {
    probes.push(['maximum', schema.maximum, schema.maximum + 1]);
  }
  if (schema.maxLength !== undefined) {
    const length = schema.maxLength;
    probes.push(['maxLength', 'x'.repeat(length), 'x'.repeat(length + 1)]);
  }
  if (schema.maxItems !== undefined) {
    const count = schema.maxItems;
    probes.push(['maxItems', addresses(count), addresses(count + 1)]);
  }
  for (const value of schema.enum ?? []) {
    probes.push([`value ${String(value)}`, value, `not-${String(value)}`]);
  }

  return probes.map(([limit, inside, outside]) => [
    `${field} ${limit}`,
    inside,
    outside,
  ]);
}

function fieldOfError(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }

  return undefined;
}

describe('mailbox body schemas', () => {
  it('lists exactly the fields validate-mailbox.ts accepts', () => {
    // GIVEN the create and patch schemas
    // WHEN their properties are listed
    const create = Object.keys(NEW_MAILBOX_SCHEMA.properties ?? {});
    const patch = Object.keys(MAILBOX_PATCH_SCHEMA.properties ?? {});

    // THEN both are the function's field list, which this test's body sets
    expect(create.sort()).toEqual([...MAILBOX_FIELDS].sort());
    expect(patch.sort()).toEqual([...MAILBOX_FIELDS].sort());
    expect(Object.keys(FULL_BODY).sort()).toEqual([...MAILBOX_FIELDS].sort());
  });

  it('accepts only fields validate-mailbox.ts accepts', () => {
    // GIVEN a body with every schema field set to a valid value
    // WHEN the function's validators read it
    const create = () => validateNewMailbox({ ...FULL_BODY });
    const patch = () => validateMailboxPatch({ ...FULL_BODY });

    // THEN neither rejects a field the edge lets through
    expect(create).not.toThrow();
    expect(patch).not.toThrow();
  });

  it.each(NEW_MAILBOX_SCHEMA.required ?? [])(
    'requires %s, as validate-mailbox.ts does',
    (field) => {
      // GIVEN a body without one field the schema requires
      const { [field as keyof typeof FULL_BODY]: _omitted, ...body } =
        FULL_BODY;

      // WHEN the function validates it
      const rejected = fieldOfError(() => validateNewMailbox(body));

      // THEN the function rejects it too, naming that field
      expect(rejected).toBe(field);
    },
  );

  it.each(
    Object.entries(NEW_MAILBOX_SCHEMA.properties ?? {}).flatMap(
      ([field, schema]) =>
        boundaryProbes(field, schema).map(
          ([limit, inside, outside]) =>
            [limit, field, inside, outside] as const,
        ),
    ),
  )('agrees with the function on the %s', (_limit, field, inside, outside) => {
    // GIVEN a value the schema allows and one it refuses
    // WHEN the function validates each, on create and on patch
    const insideErrors = [
      fieldOfError(() => validateNewMailbox({ ...FULL_BODY, [field]: inside })),
      fieldOfError(() => validateMailboxPatch({ [field]: inside })),
    ];
    const outsideErrors = [
      fieldOfError(() =>
        validateNewMailbox({ ...FULL_BODY, [field]: outside }),
      ),
      fieldOfError(() => validateMailboxPatch({ [field]: outside })),
    ];

    // THEN it accepts the first and refuses the second, naming the field
    expect(insideErrors).toEqual([undefined, undefined]);
    expect(outsideErrors).toEqual([field, field]);
  });

  it('leaves fields it does not list to the function, which names them', () => {
    // GIVEN both schemas
    const schemas = [NEW_MAILBOX_SCHEMA, MAILBOX_PATCH_SCHEMA];

    // WHEN their handling of unlisted fields is read
    const closed = schemas.filter(
      (schema) => schema.additionalProperties === false,
    );

    // THEN neither refuses a field the function may accept
    expect(closed).toEqual([]);
  });

  it('makes PATCH refuse an empty body, as the function does', () => {
    // GIVEN the patch schema
    // WHEN the function validates an empty body
    const rejected = fieldOfError(() => validateMailboxPatch({}));

    // THEN both refuse it
    expect(MAILBOX_PATCH_SCHEMA.minProperties).toBe(1);
    expect(rejected).toBe('body');
  });
});
