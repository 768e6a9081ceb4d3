"""``python -m customers``: run the nameko service (settings from PANORAMA_* variables)."""

import eventlet

eventlet.monkey_patch()

from kernel.logs import configure_logging  # noqa: E402
from kernel.nameko_ext import run_service  # noqa: E402

from customers.service import CustomersService  # noqa: E402
from customers.settings import CustomersSettings  # noqa: E402


def main() -> None:
    settings = CustomersSettings()
    configure_logging("customers", settings.log_level, settings.log_json)
    run_service(CustomersService, settings.nameko_config())


if __name__ == "__main__":
    main()
