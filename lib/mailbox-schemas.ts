import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { MAX_MAX_MESSAGE_BYTES } from '../functions/mailboxes/validate-mailbox.js';
import type { Pop3Security } from '../functions/model.js';

/**
 * Limits of `validate-mailbox.ts`, repeated so the edge rejects what the
 * function would reject anyway; the function stays the authority and also
 * checks what a schema cannot say well (host syntax, line breaks). Unknown
 * fields are left to the function too: it names them in its 400, and a
 * field it learns later is not refused here before the schema catches up.
 */
const MAX_TEXT_LENGTH = 255;
const MAX_PASSWORD_LENGTH = 1024;
const MIN_MAX_MESSAGE_BYTES = 1024;
const SECURITY_VALUES: readonly Pop3Security[] = ['tls', 'starttls', 'none'];

const TEXT_FIELD: apigateway.JsonSchema = {
  type: apigateway.JsonSchemaType.STRING,
  minLength: 1,
  maxLength: MAX_TEXT_LENGTH,
};

const MAILBOX_FIELDS: Record<string, apigateway.JsonSchema> = {
  name: TEXT_FIELD,
  popServer: TEXT_FIELD,
  popPort: {
    type: apigateway.JsonSchemaType.INTEGER,
    minimum: 1,
    maximum: 65_535,
  },
  security: {
    type: apigateway.JsonSchemaType.STRING,
    enum: [...SECURITY_VALUES],
  },
  popAccount: TEXT_FIELD,
  password: {
    type: apigateway.JsonSchemaType.STRING,
    minLength: 1,
    maxLength: MAX_PASSWORD_LENGTH,
  },
  interfaceId: TEXT_FIELD,
  enabled: { type: apigateway.JsonSchemaType.BOOLEAN },
  leaveOnServer: { type: apigateway.JsonSchemaType.BOOLEAN },
  maxMessageBytes: {
    type: apigateway.JsonSchemaType.INTEGER,
    minimum: MIN_MAX_MESSAGE_BYTES,
    maximum: MAX_MAX_MESSAGE_BYTES,
  },
};

/** Body of `POST /mailboxes`: the account fields are required. */
export const NEW_MAILBOX_SCHEMA: apigateway.JsonSchema = {
  schema: apigateway.JsonSchemaVersion.DRAFT4,
  title: 'NewMailbox',
  type: apigateway.JsonSchemaType.OBJECT,
  properties: MAILBOX_FIELDS,
  required: ['name', 'popServer', 'popAccount', 'password'],
};

/** Body of `PATCH /mailboxes/{id}`: at least one field. */
export const MAILBOX_PATCH_SCHEMA: apigateway.JsonSchema = {
  schema: apigateway.JsonSchemaVersion.DRAFT4,
  title: 'MailboxPatch',
  type: apigateway.JsonSchemaType.OBJECT,
  properties: MAILBOX_FIELDS,
  minProperties: 1,
};
