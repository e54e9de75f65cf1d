import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { RunRequest } from '../techmail/run-mailbox.js';

/**
 * Starts a mailbox run by invoking the techmail function asynchronously
 * (InvocationType `Event`): Lambda queues it, retries it on failure and
 * sends what still fails to the function's on-failure destination.
 *
 * @param client the Lambda client
 * @param functionName the techmail function's name or ARN
 * @returns an invoker for the dispatcher
 */
export function lambdaInvoker(
  client: LambdaClient,
  functionName: string,
): (request: RunRequest) => Promise<void> {
  return async function invokeTechmail(request) {
    await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(request)),
      }),
    );
  };
}
