/**
 * The OpenAPI 3.1 document, built from the same route table the server mounts and the same
 * valibot schemas it validates with, so it cannot drift from the code; a test also checks
 * that every mounted route is documented and every documented route is mounted.
 */
import { type ErrorCode, errorCatalog, problemTypePrefix } from '@farthing/protocol/errors';
import { toJsonSchema } from '@valibot/to-json-schema';
import type * as v from 'valibot';

export type Auth = 'none' | 'customer' | 'merchant' | 'admin';

export interface RouteDoc {
  readonly method: 'get' | 'post' | 'delete';
  /** Hono path syntax (`/v1/mint/withdrawals/:id`). */
  readonly path: string;
  readonly summary: string;
  readonly auth: Auth;
  /** Whether the call changes state and so takes an Idempotency-Key. */
  readonly idempotent?: boolean;
  readonly body?: v.GenericSchema;
  readonly success: { readonly status: number; readonly description: string };
  /**
   * What this route can be refused for beyond what every route of its kind can (the login its
   * `auth` needs, a JSON `body`, an Idempotency-Key), which the document adds by itself.
   */
  readonly errors?: readonly ErrorCode[];
}

/** What reading a JSON body refuses (request.ts), for every route that takes one. */
const jsonBodyErrors = ['invalid_message', 'unsupported_media_type'] as const;
/** What `requireCustomer` refuses a call for (auth.ts). */
const customerErrors = ['unauthorized', 'token_expired', 'insufficient_scope'] as const;
/** What an Idempotency-Key is refused for: missing (request.ts) or reused with another request. */
const idempotencyErrors = ['idempotency_key_missing', 'idempotency_key_reused'] as const;

/** What every route of its kind can be refused for, which its own `errors` need not repeat. */
function sharedErrors(route: RouteDoc): readonly ErrorCode[] {
  const login: readonly ErrorCode[] =
    route.auth === 'customer' ? customerErrors : route.auth === 'none' ? [] : ['unauthorized'];
  return [
    ...login,
    ...(route.body === undefined ? [] : jsonBodyErrors),
    ...(route.idempotent ? idempotencyErrors : []),
  ];
}

const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z]+)/g, '{$1}');

function schemaOf(schema: v.GenericSchema): unknown {
  // Transforms (base64url → bytes, "EUR 0.05" → amount) have no JSON Schema form; the wire
  // type before them is what clients send.
  return toJsonSchema(schema, { target: 'draft-2020-12', errorMode: 'ignore' });
}

const securitySchemes = {
  customer: { type: 'http', scheme: 'bearer', description: 'Session token from POST /v1/sessions' },
  merchant: { type: 'http', scheme: 'bearer', description: 'Merchant API key' },
  admin: {
    type: 'http',
    scheme: 'bearer',
    description: 'Operator token (FARTHING_BANK_ADMIN_TOKEN)',
  },
};

export function openApiDocument(routes: readonly RouteDoc[], serverUrl: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = toOpenApiPath(route.path);
    const parameters: unknown[] = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((match) => ({
      name: match[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    if (route.idempotent) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: true,
        description: 'A fresh random value per operation; a retry reuses it.',
        schema: { type: 'string', minLength: 1, maxLength: 255 },
      });
    }
    const responses: Record<string, unknown> = {
      [route.success.status]: {
        description: route.success.description,
        content: { 'application/json': {} },
      },
    };
    for (const code of new Set([...sharedErrors(route), ...(route.errors ?? [])])) {
      const status = String(errorCatalog[code].status);
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: existing
          ? `${existing.description}; ${code}`
          : `Problem details (RFC 9457), code ${code}`,
        content: {
          'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
        },
      };
    }
    paths[path] ??= {};
    paths[path][route.method] = {
      summary: route.summary,
      operationId: `${route.method}${route.path.replace(/[/:-](\w)/g, (_, ch: string) => ch.toUpperCase())}`,
      ...(route.auth === 'none' ? { security: [] } : { security: [{ [route.auth]: [] }] }),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body === undefined
        ? {}
        : {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(route.body) } },
            },
          }),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Farthing bank',
      version: '1',
      description:
        'Mint (e-cash), PayWord broker and certificate authority. Errors are RFC 9457 problem details whose `type` is ' +
        `\`${problemTypePrefix}<code>\`.`,
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      securitySchemes,
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail', 'code'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string', enum: Object.keys(errorCatalog) },
            instance: { type: 'string' },
          },
        },
      },
    },
  };
}
