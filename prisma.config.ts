import { defineConfig } from 'prisma/config';
import { PrismaPg } from '@prisma/adapter-pg';

// engine "js" + a driver adapter: Prisma's native engines cannot be downloaded
// on our machines, the wasm schema engine in the CLI needs none.
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  adapter: async () =>
    new PrismaPg({
      connectionString: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/duban',
      idleTimeoutMillis: 200,
    }),
});
