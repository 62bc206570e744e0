// `jirachi train`: trains the GBDT (or weight) model from labeled corpora and training_data.csv, with a report.

import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { FEATURE_DIM, featurizeParsed, parseRequest, runSignatures, scoreModel, trainGbdt, trainWeightModel, type ModelFile } from '../../detect/index.js';
import { decodeTrainingCsv } from '../../prometheus/index.js';
import { splitSide, type CorpusRecord } from '../../detect/corpus.js';
import { addCorpusOptions, loadRecords, type CorpusSelection } from '../corpus-options.js';
import { registerCommand, UsageFailure } from '../registry.js';

interface TrainOpts extends CorpusSelection {
  data: string[]; out: string; kind: string; trees: string; depth: string; eta: string; seed: string; report?: string; targetFpr: string;
}

function int(v: string, name: string, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageFailure(`${name} must be between ${min} and ${max}`);
  return n;
}

function featuresOf(r: CorpusRecord): Float32Array {
  const parsed = parseRequest(r.view);
  return featurizeParsed(parsed, runSignatures(parsed, r.view, 64));
}

function readCsv(path: string): { X: Float32Array[]; y: number[] } {
  let buf: Buffer;
  try { buf = readFileSync(path); } catch (e) { throw new UsageFailure(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`); }
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const d = decodeTrainingCsv(buf.toString('utf8'));
  if (typeof d === 'string') throw new UsageFailure(`${path}: ${d}`);
  if (d.featureDim !== FEATURE_DIM) throw new UsageFailure(`${path}: ${d.featureDim} feature columns, this build uses ${FEATURE_DIM}`);
  return { X: d.X, y: d.y };
}

/** Lowest threshold ≥ 0.5 whose false-positive rate on the validation benign rows is ≤ target. */
function pickThreshold(pBenign: number[], target: number): number {
  for (let t = 0.5; t < 0.995; t += 0.01) {
    const fp = pBenign.filter((p) => p >= t).length;
    if (fp <= target * pBenign.length) return Math.round(t * 100) / 100;
  }
  return 0.99;
}

registerCommand((program: Command) => {
  addCorpusOptions(program.command('train')
    .description('train the local model from labeled JSONL corpora (format of shared/data) and/or training_data.csv; deterministic for a seed'))
    .requiredOption('--data <files...>', 'JSONL(.gz) corpora and/or training_data.csv files')
    .requiredOption('--out <file>', 'model file to write')
    .option('--kind <kind>', 'gbdt | weight', 'gbdt')
    .option('--trees <n>', 'boosting rounds (gbdt)', '120')
    .option('--depth <n>', 'max tree depth (gbdt)', '6')
    .option('--eta <f>', 'shrinkage (gbdt) / learning rate (weight)', '0.2')
    .option('--seed <n>', 'random seed', '1')
    .option('--target-fpr <f>', 'choose the decision threshold for this false-positive rate on validation', '0.002')
    .option('--report <file>', 'training report (JSON); default: <out>.report.json')
    .action((o: TrainOpts) => {
      const t0 = Date.now();
      const jsonl = o.data.filter((f) => !/\.csv(\.gz)?$/.test(f));
      const csvs = o.data.filter((f) => /\.csv(\.gz)?$/.test(f));
      const records = loadRecords(jsonl, o);
      const X: Float32Array[] = [], y: number[] = [], isVal: boolean[] = [];
      records.forEach((r, i) => {
        X.push(featuresOf(r)); y.push(r.label); isVal.push(splitSide(r, 0.1, 97) === 'test');
        if ((i + 1) % 10000 === 0) process.stderr.write(`\rfeaturized ${i + 1}/${records.length}`);
      });
      for (const f of csvs) { const d = readCsv(f); d.X.forEach((x, i) => { X.push(x); y.push(d.y[i]!); isVal.push(i % 10 === 0); }); }
      process.stderr.write(`\rfeaturized ${X.length} rows (${y.filter((v) => v === 1).length} attack) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      if (X.length < 10 || !y.includes(0) || !y.includes(1)) throw new UsageFailure('need both attack and benign rows (at least 10)');
      const trX = X.filter((_, i) => !isVal[i]), trY = y.filter((_, i) => !isVal[i]);
      const seed = int(o.seed, '--seed', 0, 2 ** 31);
      const t1 = Date.now();
      let model: ModelFile;
      if (o.kind === 'gbdt') {
        const trees = int(o.trees, '--trees', 1, 2000);
        model = trainGbdt(trX, trY, { trees, depth: int(o.depth, '--depth', 1, 12), eta: Number(o.eta), lambda: 1, gamma: 0, minChildWeight: 1, bins: 32, subsample: 0.8, colsample: 0.8, seed },
          (p) => { if (p.round % 5 === 0 || p.round === trees) process.stderr.write(`\rtree ${p.round}/${p.trees}  logloss ${p.logloss.toFixed(4)}`); });
        process.stderr.write('\n');
      } else if (o.kind === 'weight') {
        model = trainWeightModel(trX, trY, { epochs: 8, lr: Number(o.eta), l2: 1e-5, seed });
      } else throw new UsageFailure('--kind must be gbdt or weight');
      const valIdx = isVal.map((v, i) => (v ? i : -1)).filter((i) => i >= 0);
      const pVal = valIdx.map((i) => scoreModel(model, X[i]!));
      const thr = pickThreshold(valIdx.map((i, k) => (y[i] === 0 ? pVal[k]! : -1)).filter((p) => p >= 0), Number(o.targetFpr));
      const vAtt = valIdx.filter((i) => y[i] === 1).length, vBen = valIdx.length - vAtt;
      const vTp = valIdx.filter((i, k) => y[i] === 1 && pVal[k]! >= thr).length, vFp = valIdx.filter((i, k) => y[i] === 0 && pVal[k]! >= thr).length;
      const meta = { trainedRows: trX.length, validationRows: valIdx.length, seed, data: o.data.map((f) => f.split('/').pop()), excludeSources: o.excludeSources ?? '', split: o.split ?? 'all', generatedBenign: Number(o.generatedBenign ?? 0) };
      const final: ModelFile = model.format === 'jirachi-gbdt' ? { ...model, threshold: thr, meta: { ...model.meta, ...meta } } : { ...model, meta: { ...model.meta, ...meta, threshold: thr } };
      writeFileSync(o.out, JSON.stringify(final));
      const report = { out: o.out, kind: o.kind, rows: X.length, attack: y.filter((v) => v === 1).length, threshold: thr,
        validation: { attack: vAtt, benign: vBen, tpr: vAtt ? vTp / vAtt : null, fpr: vBen ? vFp / vBen : null },
        seconds: { featurize: (t1 - t0) / 1000, train: (Date.now() - t1) / 1000 }, options: meta };
      writeFileSync(o.report ?? `${o.out}.report.json`, JSON.stringify(report, null, 2) + '\n');
      process.stdout.write(`${o.out}: ${o.kind}, threshold ${thr}, validation TPR ${((report.validation.tpr ?? 0) * 100).toFixed(2)}% FPR ${((report.validation.fpr ?? 0) * 100).toFixed(3)}%, ${report.seconds.train.toFixed(1)} s training\n`);
    });
});
