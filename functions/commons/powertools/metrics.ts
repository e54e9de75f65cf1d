import { Metrics } from '@aws-lambda-powertools/metrics';

/** The one metrics emitter of the service (CloudWatch EMF). */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Techmail',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'techmail',
});
