import Fastify from 'fastify';

/**
 * The baseline every figure is divided by: a bare Fastify 5 route returning a small JSON object,
 * in its own process, measured in the same run as the scenarios.
 */
const app = Fastify({ logger: false });
app.get('/ping', () => ({ status: 'ok', id: 'acct-000001', name: 'Baseline' }));
const port = Number(process.env.PORT ?? '0');
const url = await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`${url}\n`);
