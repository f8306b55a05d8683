export { FactoryStateObject } from '../../src/index.ts';

export default {
  async fetch(): Promise<Response> {
    return new Response('test worker');
  },
};
