import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { ROLE_LABELS } from '../domain/actors';
import { can, type Permission } from '../domain/permissions';
import { forbidden } from './errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role × permission table's entry a route needs (domain/permissions.ts). */
    permission?: Permission;
  }
}

/** Checks the route's permission against the role table right after authentication, before the body is even read. */
export const permissionPlugin = fp(async (app: FastifyInstance) => {
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const permission = request.routeOptions.config?.permission;
    if (!permission || !request.actor) return;
    if (!can(request.actor.role, permission)) throw forbidden(`${ROLE_LABELS[request.actor.role]}无权访问此功能`);
  });
});
