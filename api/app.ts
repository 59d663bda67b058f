import swagger from '@fastify/swagger';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { authPlugin } from './auth';
import { errorHandler } from './errors';
import type { Services } from './items-service';
import { itemRoutes } from './routes/items';
import { metaRoutes } from './routes/meta';
import { problemListRoutes } from './routes/problem-lists';
import { settingsRoutes } from './routes/settings';
import { ackRoutes, notificationRoutes } from './routes/notifications';

export interface AppOptions {
  services: Services;
  authSecret: string;
  logger?: FastifyServerOptions['logger'];
}

/** A path ending in "/" is public with everything under it. */
const PUBLIC_PATHS = ['/api/health', '/api/openapi.json', '/api/ack/'];

/** Builds the HTTP app around injected clients; server.ts listens, tests use inject() or listen on port 0. */
export async function buildApp(opts: AppOptions) {
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: 1024 * 1024, requestIdHeader: 'x-request-id' }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: 'not_found', message: `没有这个接口：${request.method} ${request.url.split('?')[0]}` }));

  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
  // Actions without a payload may be sent with no body at all.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && (request.body === undefined || request.body === null)) request.body = {};
  });

  await app.register(swagger, {
    openapi: {
      info: { title: '督查督办 API', version: '0.1.0', description: '督查督办闭环：立项交办、签收、整改、销号' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(authPlugin, { secret: opts.authSecret, publicPaths: PUBLIC_PATHS });
  await app.register(metaRoutes, { services: opts.services });
  await app.register(itemRoutes, { services: opts.services });
  await app.register(problemListRoutes, { services: opts.services });
  await app.register(settingsRoutes, { services: opts.services });
  await app.register(notificationRoutes, { services: opts.services });
  await app.register(ackRoutes, { services: opts.services });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
