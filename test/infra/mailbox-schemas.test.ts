import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/commons/errors.js';
import {
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
};

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
  it('lists exactly the fields of the full body', () => {
    // GIVEN the create schema
    // WHEN its properties are listed
    const properties = Object.keys(NEW_MAILBOX_SCHEMA.properties ?? {});

    // THEN they are the fields this test sends to the validator
    expect(properties.sort()).toEqual(Object.keys(FULL_BODY).sort());
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

  it.each([
    ['name', 'x'.repeat(255), 'x'.repeat(256)],
    ['password', 'p'.repeat(1024), 'p'.repeat(1025)],
    ['popPort', 65_535, 65_536],
    ['maxMessageBytes', 1024, 1023],
  ])(
    'puts the %s limit where the function puts it',
    (field, inside, outside) => {
      // GIVEN the schema's limit for the field
      const schema = NEW_MAILBOX_SCHEMA.properties?.[field];

      // WHEN the function validates a value just inside and just outside
      const insideError = fieldOfError(() =>
        validateNewMailbox({ ...FULL_BODY, [field]: inside }),
      );
      const outsideError = fieldOfError(() =>
        validateNewMailbox({ ...FULL_BODY, [field]: outside }),
      );

      // THEN the schema allows the inside value and the function agrees
      expect(schema).toBeDefined();
      expect(insideError).toBeUndefined();
      expect(outsideError).toBe(field);
    },
  );

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
