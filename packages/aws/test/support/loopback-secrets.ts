import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Secrets Manager and SSM Parameter Store on 127.0.0.1, speaking their JSON protocol (awsJson1_1) as
 * the real AWS SDK v3 sends it: `POST /` with `X-Amz-Target: secretsmanager.GetSecretValue` or
 * `AmazonSSM.GetParameter`, a SigV4 `Authorization` for the right service, and AWS's error shapes
 * (`__type`). Point the SDK at it with AWS_ENDPOINT_URL_SECRETS_MANAGER / AWS_ENDPOINT_URL_SSM.
 */
export class LoopbackSecrets {
  /** Secret id (name) → SecretString. */
  readonly secrets = new Map<string, string>();
  /** Parameter name → value and type. */
  readonly parameters = new Map<string, { value: string; type: 'SecureString' | 'String' }>();
  /** Every request, in order: its target and what it asked for. */
  readonly requests: { target: string; id: string; withDecryption?: boolean }[] = [];
  #server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.#server = createServer((request, response) => {
      void this.#answer(request, response);
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }

  /** The environment variables that point the SDK's two clients here, with local credentials. */
  endpoints(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: this.url,
      AWS_ENDPOINT_URL_SSM: this.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
  }

  async #answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const authorization = String(request.headers.authorization ?? '');
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUUID(),
      });
      response.end(JSON.stringify(body));
    };
    if (request.method !== 'POST' || request.headers['content-type'] !== 'application/x-amz-json-1.1')
      return reply(400, { __type: 'SerializationException', message: 'expected awsJson1_1' });
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      return reply(400, { __type: 'SerializationException', message: 'body is not JSON' });
    }
    const service = target.startsWith('secretsmanager.') ? 'secretsmanager' : 'ssm';
    if (!authorization.startsWith('AWS4-HMAC-SHA256 ') || !authorization.includes(`/${service}/aws4_request`))
      return reply(400, { __type: 'MissingAuthenticationTokenException', message: 'not signed' });

    if (target === 'secretsmanager.GetSecretValue') {
      const id = String(input.SecretId ?? '');
      this.requests.push({ target, id });
      const name = id.startsWith('arn:') ? id.split(':secret:')[1]?.replace(/-[A-Za-z0-9]{6}$/, '') : id;
      const secret = name === undefined ? undefined : this.secrets.get(name);
      if (secret === undefined)
        return reply(400, {
          __type: 'ResourceNotFoundException',
          Message: "Secrets Manager can't find the specified secret.",
        });
      return reply(200, {
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`,
        Name: name,
        SecretString: secret,
        VersionId: randomUUID(),
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_767_225_600,
      });
    }
    if (target === 'AmazonSSM.GetParameter') {
      const id = String(input.Name ?? '');
      const withDecryption = input.WithDecryption === true;
      this.requests.push({ target, id, withDecryption });
      const name = id.startsWith('arn:') ? id.replace(/^arn:[^:]+:ssm:[^:]*:[^:]*:parameter/, '') : id;
      const parameter = this.parameters.get(name);
      if (!parameter) return reply(400, { __type: 'ParameterNotFound', message: '' });
      const encrypted = parameter.type === 'SecureString' && !withDecryption;
      return reply(200, {
        Parameter: {
          Name: name,
          Type: parameter.type,
          Value: encrypted
            ? Buffer.from(`kms-encrypted:${randomUUID()}`).toString('base64')
            : parameter.value,
          Version: 1,
          LastModifiedDate: 1_767_225_600,
          ARN: `arn:aws:ssm:us-east-1:123456789012:parameter${name.startsWith('/') ? '' : '/'}${name}`,
          DataType: 'text',
        },
      });
    }
    return reply(400, { __type: 'UnknownOperationException', message: `unknown target ${target}` });
  }
}
