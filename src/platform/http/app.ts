import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest, RawServerDefault } from 'fastify';
import Type from 'typebox';

/** What a caller must be allowed to do to use a route. Checked by the auth layer; declared by every route. */
export const PERMISSIONS = [
  'catalog:read',
  'config:apply',
  'releases:read',
  'releases:write',
  'deployments:read',
  'deployments:write',
  'audit:read',
  'calendar:read',
  'calendar:write',
  'calendar:override',
  'approvals:write',
  'reviews:write',
  'runs:read',
  'runs:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission the route needs; every route declares one, or `public: true`. */
    permission?: Permission;
    public?: boolean;
  }
}

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, TypeBoxTypeProvider>;

/**
 * Who is acting. Until accounts and tokens exist, clients name themselves in the `Railyard-Actor` header
 * (the CLI sends its `--as` user); the audit trail records it.
 */
export function actorOf(request: FastifyRequest): string {
  const header = request.headers['railyard-actor'];
  const value = Array.isArray(header) ? header[0] : header;
  return value?.trim() || 'api';
}

export const ErrorBody = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    errorId: Type.String(),
    details: Type.Array(
      Type.Object({
        message: Type.String(),
        path: Type.Optional(Type.String()),
        file: Type.Optional(Type.String()),
        line: Type.Optional(Type.Integer()),
        column: Type.Optional(Type.Integer()),
      }),
    ),
  }),
});

/** Standard error responses every route can return, for the OpenAPI document. */
export const errorResponses = {
  400: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
};

export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
