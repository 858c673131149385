import type { Command } from 'commander';

/** Every command path with its subcommands and options (its own and its ancestors'). */
function tree(
  command: Command,
  prefix: string[] = [],
  inherited: string[] = [],
): { path: string[]; words: string[] }[] {
  const options = [
    ...inherited,
    ...command.options.map((option) => option.long ?? option.short ?? '').filter((w) => w !== ''),
  ];
  const words = [...command.commands.map((sub) => sub.name()), ...options];
  return [
    { path: prefix, words },
    ...command.commands.flatMap((sub) =>
      tree(
        sub,
        [...prefix, sub.name()],
        options.filter((option) => option !== '--version'),
      ),
    ),
  ];
}

/** A bash completion script: `source <(entitle completion bash)`. */
export function bashCompletion(program: Command): string {
  const cases = tree(program)
    .map(
      ({ path, words }) => `    "${path.join(' ')}") words="${[...new Set(words)].join(' ')}" ;;`,
    )
    .join('\n');
  return `# entitle bash completion: source <(entitle completion bash)
_entitle_complete() {
  local cur path word words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  path=""
  for word in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$word" in -*) ;; *) path="\${path:+$path }$word" ;; esac
  done
  while true; do
    words=""
    case "$path" in
${cases}
    esac
    if [ -n "$words" ] || [ -z "$path" ]; then break; fi
    path="\${path% *}"; [ "$path" = "\${path% *}" ] && path=""
  done
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F _entitle_complete entitle
`;
}

/** A zsh completion script: `source <(entitle completion zsh)`. */
export function zshCompletion(program: Command): string {
  return `#compdef entitle
# entitle zsh completion: source <(entitle completion zsh)
autoload -U bashcompinit && bashcompinit
${bashCompletion(program)}`;
}
