// Public entry of the demo: the bundled sample application.
export { startSampleApp, sampleApp } from './sample-app.js';
