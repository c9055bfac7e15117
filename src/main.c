/* balie: the console, and its companion commands on the same core. */
#include <string.h>

#include "balie/cli.h"
#include "balie/i18n.h"
#include "balie/migrate.h"

int main(int argc, char **argv)
{
	i18n_init();
	if (argc > 1 && strcmp(argv[1], "watch") == 0)
		return watch_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "relay") == 0)
		return relay_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "sim") == 0)
		return sim_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "migrate") == 0)
		return migrate_main(argc - 1, argv + 1);
	return console_main(argc, argv);
}
