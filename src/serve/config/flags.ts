/**
 * The flags of `cimd serve`, declared from the catalog (so `--help` names each option's
 * environment variables and default), and the flag layer: only the flags actually given on the
 * command line, never commander's implicit defaults (`--no-registration` implies one), and
 * those flags written out again for another process (`cimd serve --demo` runs the demo so).
 *
 * @module
 */
import { type Command, Option } from 'commander';
import { CONFIG_FILE_OPTION, type ConfigKey, SERVE_OPTIONS } from './catalog.js';
import { type ConfigLayer, emptyLayer, setValue } from './layers.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Commander's attribute name of each option, mapped to its config key. */
const attributes = new Map<string, ConfigKey>();

/** Adds every `cimd serve` option (and `--config`) to `command`. */
export function addServeOptions(command: Command): Command {
  for (const spec of SERVE_OPTIONS) {
    if (spec.flag === undefined) continue; // a secret from the environment only
    const env = spec.env.length > 0 ? `; env ${spec.env.join(', ')}` : '';
    const unit = spec.unit ? `, ${spec.unit}` : '';
    const option = new Option(spec.flag, `${spec.description} (default ${spec.defaultText}${unit}${env})`);
    if (spec.repeatable) option.argParser(collect);
    attributes.set(option.attributeName(), spec.key);
    command.addOption(option);
    if (spec.negation !== undefined)
      command.addOption(new Option(spec.negation, `turn ${spec.flag.split(' ')[0]} off`));
  }
  command.addOption(
    new Option(CONFIG_FILE_OPTION.flag, `${CONFIG_FILE_OPTION.description} (env ${CONFIG_FILE_OPTION.env})`),
  );
  return command;
}

/** The flags given on `command`'s command line, as a layer (values stay text for the schema). */
export function readFlagLayer(command: Command): ConfigLayer {
  const layer = emptyLayer();
  const values = command.opts<Record<string, unknown>>();
  for (const [attribute, key] of attributes) {
    if (command.getOptionValueSource(attribute) !== 'cli') continue;
    const flag = command.options.find((option) => option.attributeName() === attribute)?.long ?? attribute;
    setValue(layer, key, values[attribute], flag);
  }
  return layer;
}

/**
 * The flags given on `command`'s command line (every option, `--config` too), written out again
 * as arguments, to pass them on to another process that reads the same flags.
 */
export function givenFlagArguments(command: Command): string[] {
  const values = command.opts<Record<string, unknown>>();
  return command.options.flatMap((option) => {
    const attribute = option.attributeName();
    const value = values[attribute];
    if (command.getOptionValueSource(attribute) !== 'cli' || option.long === undefined) return [];
    // A flag and its negation share one attribute: only the one that gave the value is written.
    if (option.negate !== (value === false)) return [];
    if (typeof value === 'boolean') return [option.long];
    const list = Array.isArray(value) ? value : [value];
    return list.flatMap((item) => [option.long as string, String(item)]);
  });
}

/** The `--config` flag's value, when given. */
export function configFileFlag(command: Command): string | undefined {
  const value = command.opts<{ config?: string }>().config;
  return typeof value === 'string' ? value : undefined;
}
