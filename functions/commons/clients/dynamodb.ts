import {
  DynamoDBClient,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Builds a document client with the service's marshalling rules: optional
 * record fields left `undefined` are dropped instead of failing the write.
 *
 * @param config SDK client settings; the endpoint comes from
 *   `AWS_ENDPOINT_URL_DYNAMODB` unless a test passes one
 * @default {}
 * @returns the document client
 */
export function createDocumentClient(
  config: DynamoDBClientConfig = {},
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** The process's DynamoDB document client, built once at init. */
export const documentClient: DynamoDBDocumentClient = createDocumentClient();
