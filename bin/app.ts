import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TechmailStack } from '../lib/techmail-stack.js';

const app = new App();

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);

  return value === undefined ? undefined : String(value);
};
const memorySize = context('techmailMemorySize');

new TechmailStack(app, context('stackName') ?? 'Techmail', {
  description: 'Techmail: POP3 mailboxes become help desk incidents',
  secretPrefix: context('secretPrefix'),
  techmailMemorySize: memorySize === undefined ? undefined : Number(memorySize),
  messageIdDomain: context('messageIdDomain'),
  alarmTopicArn: context('alarmTopicArn'),
  apiGatewayCloudWatchRole: context('apiGatewayCloudWatchRole') !== 'false',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
