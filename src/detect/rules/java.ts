// Java injection detector: class and package references, gadget class names, serialized objects and their base64 forms, OGNL/EL.

import { compileRules, tableDetector, type SignatureDetector } from '../signature.js';

/** Class names of well-known Java deserialization gadget chains (Commons Collections, Groovy, Xalan). */
const GADGETS = ['processbuilder', 'clonetransformer', 'forclosure', 'instantiatefactory', 'instantiatetransformer',
  'invokertransformer', 'prototypeclonefactory', 'prototypeserializationfactory', 'whileclosure', 'chainedtransformer',
  'constanttransformer', 'templatesimpl', 'annotationinvocationhandler', 'transformedmap', 'lazymap', 'invokerinvocationhandler',
  'methodclosure', 'convertedclosure', 'filesystemxmlapplicationcontext', 'classpathxmlapplicationcontext', 'jdbcrowsetimpl'];

/**
 * The base64 text that encodes `bytes` at each of the three alignments, without the edge characters
 * that depend on neighbouring bytes; lower case, as detectors read normalized values. Forms shorter
 * than 5 characters are left out (too likely by chance in random tokens).
 */
export function base64Forms(bytes: Buffer): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const buf = Buffer.concat([Buffer.alloc(k), bytes]);
    let b64 = buf.toString('base64').replace(/=+$/, '');
    if (buf.length % 3 !== 0) b64 = b64.slice(0, -1);
    const form = b64.slice([0, 2, 3][k]!).toLowerCase();
    if (form.length >= 5) out.push(form);
  }
  return out;
}

const GADGET_B64 = GADGETS.flatMap((g) => base64Forms(Buffer.from(g)));
/** Java serialization stream magic (AC ED 00 05) in base64, at any alignment. */
const MAGIC_B64 = base64Forms(Buffer.from([0xac, 0xed, 0x00, 0x05]));
/** `runtime` is a common word, so its base64 forms count only as (nearly) the whole value. */
const RUNTIME_B64 = base64Forms(Buffer.from('runtime'));

const JAVA_PACKAGES = 'java\\.(?:lang|io|net|nio|util\\.(?:scanner|zip)|beans|rmi|security|sql)\\.|\\bjava\\.[a-z]{1,24}\\.(?:runtime|processbuilder)\\b|\\bjavax\\.(?:script|naming|management)|org\\.omg\\.corba|com\\.opensymphony\\.xwork2|org\\.apache\\.(?:commons\\.collections|xalan|bcel)|org\\.springframework\\.(?:expression|context\\.support)';

/** Java, OGNL, EL and deserialization injection (`java-*`); reported as class cmdi. Reads every header and plain values. */
export const javaDetector: SignatureDetector = tableDetector('java', 'cmdi', compileRules([
  { id: 'java-001', score: 5, needles: ['java.', 'javax.', 'getruntime', 'processbuilder', 'classloader', 'forname', 'com.sun.', 'org.apache.', 'org.omg.', 'com.opensymphony', 'org.springframework.', 'jshell', 'scriptengine', 'objectinputstream', 'getclass'],
    pattern: `\\b(?:${JAVA_PACKAGES})|getruntime\\s*\\(|processbuilder|classloader|class\\s*\\.\\s*forname|com\\.sun\\.|jdk\\.jshell|scriptenginemanager|objectinputstream|\\.getclass\\s*\\(`, explanation: 'Java class or reflection reference' },
  // At the alignment where only 4 characters are fixed, the edge characters are written out (`KztAAU`: k/a/q/6 before, u-x after).
  { id: 'java-002', score: 5, needles: ['aced0005', 'ztaa', ...MAGIC_B64], pattern: `aced0005|[kaq6]ztaa[u-x]|${MAGIC_B64.join('|')}`, explanation: 'serialized Java object (raw, hex or base64)' },
  { id: 'java-005', score: 5, needles: GADGETS, pattern: GADGETS.join('|'), explanation: 'Java deserialization gadget class name' },
  { id: 'java-004', score: 5, needles: GADGET_B64, pattern: GADGET_B64.join('|'), explanation: 'base64 of a Java gadget class name (processbuilder, invokertransformer, …)' },
  { id: 'java-006', score: 5, needles: RUNTIME_B64, pattern: `^[a-z0-9+/]{0,3}(?:${RUNTIME_B64.join('|')})[a-z0-9+/]{0,3}=*$`, explanation: 'value is base64 of "runtime"' },
  { id: 'java-003', score: 5, needles: ['#_memberaccess', '@java', '#context', '#request', '#parameters', 'ognl', '%{', '#{'], pattern: '#_memberaccess|@java\\.lang|#context\\[|#(?:request|parameters|application|session)\\b|ognlutil|[%#]\\{\\s*[(#@]', explanation: 'OGNL or EL expression' },
]), undefined, true, true);
