import { LambdaClient } from '@aws-sdk/client-lambda';

/** The process's Lambda client (async Invoke of runs), built once at init. */
export const lambdaClient: LambdaClient = new LambdaClient({});
