import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    name: 'rabbitmq-adapter',
    // Fails at once, naming `pnpm services up …`, when RabbitMQ or toxiproxy is down.
    globalSetup: ['@pocs/infra/test-setup'],
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
  },
});
