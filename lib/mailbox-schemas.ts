import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import {
  AUTO_REPLY_DETECTION_LEVELS,
  MAX_ADDRESSES,
  MAX_FLOOD_LIMIT,
  MAX_FLOOD_WINDOW_HOURS,
  MIN_FLOOD_LIMIT,
  MIN_FLOOD_WINDOW_HOURS,
  UPDATE_POLICIES,
} from '../functions/mailboxes/mail-settings.js';
import {
  MAX_MAX_MESSAGE_BYTES,
  MAX_PASSWORD_LENGTH,
  MAX_POP_PORT,
  MAX_TEXT_LENGTH,
  type MailboxField,
  MIN_MAX_MESSAGE_BYTES,
  SECURITY_VALUES,
} from '../functions/mailboxes/validate-mailbox.js';

/*
 * The schemas use the function's own field list and limits, so the edge
 * rejects what the function would reject anyway and never what it
 * accepts. The function stays the authority and also checks what a schema
 * cannot say well (host syntax, line breaks, address syntax after
 * trimming). Unknown fields are left to it too: it names them in its 400.
 */

const TEXT_FIELD: apigateway.JsonSchema = {
  type: apigateway.JsonSchemaType.STRING,
  minLength: 1,
  maxLength: MAX_TEXT_LENGTH,
};

const BOOLEAN_FIELD: apigateway.JsonSchema = {
  type: apigateway.JsonSchemaType.BOOLEAN,
};

function integerField(minimum: number, maximum: number): apigateway.JsonSchema {
  return { type: apigateway.JsonSchemaType.INTEGER, minimum, maximum };
}

function choiceField(values: readonly string[]): apigateway.JsonSchema {
  return { type: apigateway.JsonSchemaType.STRING, enum: [...values] };
}

/** One schema per field the function accepts; the type makes it complete. */
const MAILBOX_FIELDS: Record<MailboxField, apigateway.JsonSchema> = {
  name: TEXT_FIELD,
  popServer: TEXT_FIELD,
  popPort: integerField(1, MAX_POP_PORT),
  security: choiceField(SECURITY_VALUES),
  popAccount: TEXT_FIELD,
  password: {
    type: apigateway.JsonSchemaType.STRING,
    minLength: 1,
    maxLength: MAX_PASSWORD_LENGTH,
  },
  interfaceId: TEXT_FIELD,
  enabled: BOOLEAN_FIELD,
  leaveOnServer: BOOLEAN_FIELD,
  maxMessageBytes: integerField(MIN_MAX_MESSAGE_BYTES, MAX_MAX_MESSAGE_BYTES),
  // Each address is trimmed before its length is checked, so item lengths
  // are left to the function.
  addresses: {
    type: apigateway.JsonSchemaType.ARRAY,
    maxItems: MAX_ADDRESSES,
    items: { type: apigateway.JsonSchemaType.STRING },
  },
  autoReplyDetection: choiceField(AUTO_REPLY_DETECTION_LEVELS),
  updatePolicy: choiceField(UPDATE_POLICIES),
  floodLimit: integerField(MIN_FLOOD_LIMIT, MAX_FLOOD_LIMIT),
  floodWindowHours: integerField(
    MIN_FLOOD_WINDOW_HOURS,
    MAX_FLOOD_WINDOW_HOURS,
  ),
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
