import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger of the service. Messages are fixed phrases;
 * variables go in fields. Never log mail content, addresses or secrets.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'techmail',
});
