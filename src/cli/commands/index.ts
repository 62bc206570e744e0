// Imports every command module so each registers itself. One line per command.
import './shield.js';
import './demo.js';
import './explain.js';
import './kernel.js';
import './logs.js';
import './federation.js';
import './eval.js';
import './train.js';
