// The OpenAPI 3.1 document served at /openapi.json, generated (with zod-openapi) from the route
// contracts, so the document says what the handlers parse. A test compares the contracts with the
// app's routes, both ways.
import {
  createDocument,
  type ZodOpenApiOperationObject,
  type ZodOpenApiPathsObject,
  type ZodOpenApiResponsesObject,
} from 'zod-openapi';
import type { z } from 'zod';
import type { RouteContract } from './contract';

const CONTENT_TYPES = { json: 'application/json', form: 'application/x-www-form-urlencoded' } as const;

function security(contract: RouteContract): Array<Record<string, string[]>> {
  switch (contract.access) {
    case 'public':
    case 'link':
      return [];
    case 'sender':
      return [{ standardWebhooks: [] }, { githubSignature: [] }, { grafanaSignature: [] }, { bearer: [] }];
    default:
      // Reads take a browser sign-in too; anything that changes state needs the token itself.
      return contract.method === 'get' ? [{ bearer: [] }, { session: [] }] : [{ bearer: [] }];
  }
}

function operation(contract: RouteContract): ZodOpenApiOperationObject {
  const requestParams: Record<string, z.ZodType> = {};
  if (contract.params) requestParams.path = contract.params;
  if (contract.query) requestParams.query = contract.query;
  const body = contract.body;
  return {
    summary: contract.summary,
    ...(contract.description ? { description: contract.description } : {}),
    tags: [contract.tag],
    ...(contract.access === 'public' || contract.access === 'link' || contract.access === 'sender'
      ? {}
      : { 'x-reflex-role': contract.access }),
    security: security(contract),
    ...(Object.keys(requestParams).length ? { requestParams: requestParams as never } : {}),
    ...(body
      ? {
          requestBody: {
            required: true,
            content:
              body.kind === 'raw'
                ? {
                    'application/json': {
                      schema: { type: 'object', description: 'As the source’s format adapter expects' },
                    },
                  }
                : { [CONTENT_TYPES[body.kind]]: { schema: body.schema! } },
          },
        }
      : {}),
    responses: Object.fromEntries(
      Object.entries(contract.responses).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.headers
            ? { headers: Object.fromEntries(r.headers.map((h) => [h, { schema: { type: 'string' } }])) }
            : {}),
          ...(r.json
            ? { content: { 'application/json': { schema: r.json } } }
            : r.content
              ? {
                  content: {
                    [r.content]: {
                      schema: {
                        type: 'string',
                        ...(r.content === 'application/pdf' ? { format: 'binary' } : {}),
                      },
                    },
                  },
                }
              : {}),
        },
      ]),
    ) as ZodOpenApiResponsesObject,
  };
}

/** The document for `contracts`. */
export function openApiDocument(contracts: readonly RouteContract[]): Record<string, unknown> {
  const paths: ZodOpenApiPathsObject = {};
  for (const contract of contracts) {
    paths[contract.path] = { ...paths[contract.path], [contract.method]: operation(contract) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Reflex',
      version: '0.1.0',
      description:
        'Automated response playbooks. Webhooks start incidents; the board reads timelines and reports; responders approve, resolve and run drills.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An access token from access.tokens' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'reflex-session',
          description: 'Browser sign-in (reads only)',
        },
        standardWebhooks: { type: 'apiKey', in: 'header', name: 'webhook-signature' },
        githubSignature: { type: 'apiKey', in: 'header', name: 'X-Hub-Signature-256' },
        grafanaSignature: { type: 'apiKey', in: 'header', name: 'X-Grafana-Alerting-Signature' },
      },
    },
    paths,
  }) as unknown as Record<string, unknown>;
}
