// `node --import` this file to append the URL of every module the process loads to the file named by
// env AMKO_MODULE_LOG (the module-graph test of `amko serve`).
import { register } from 'node:module';

register('./record-modules-hooks.mjs', import.meta.url, { data: { file: process.env.AMKO_MODULE_LOG } });
