"""`harness sandbox build|status|prune`: rich output around the registry and the image functions of the Docker backend."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from takehome_harness.harness.errors import SandboxUnavailable
from takehome_harness.harness.sandbox import docker_backend
from takehome_harness.harness.sandbox.packages import HEADLINE_PACKAGES


def build(*, offline: bool, base_image: str | None, from_engine: str | None = None) -> str:
    """Build the image on the engine DOCKER_HOST names, or copy it there from the engine at `from_engine`."""
    console = Console(stderr=True)
    client = docker_backend.connect_engine()
    with console.status("building the sandbox image") as spinner:
        def progress(message: str) -> None:
            console.log(message)
            spinner.update(message)

        if from_engine:
            source = docker_backend.connect_engine(from_engine)
            tag = docker_backend.copy_image(source=source, target=client, progress=progress)
        else:
            tag = docker_backend.build_image(client, offline=offline, progress=progress, base_image=base_image)
    console.print(f"[green]sandbox image ready:[/] {tag}")
    return tag


def status() -> None:
    """Every registered backend: can it run here, with what, and the package versions a notebook would see."""
    from takehome_harness.harness.sandbox.registry import backends

    console = Console()
    for spec in backends().values():
        info = spec.status()
        colour = "green" if info.available else "red"
        isolation = "isolated" if spec.isolated else "not isolated"
        console.print(f"[bold]{spec.name}[/] ({isolation}): [{colour}]{'usable' if info.available else 'not usable'}[/]"
                      f" - {info.summary}")
        for what, value in info.details:
            console.print(f"  {what}: {value}")
        if info.packages:
            table = Table("package", f"version ({spec.name})")
            by_name = {name.lower(): version for name, version in info.packages.items()}
            for name in HEADLINE_PACKAGES:
                table.add_row(name, by_name.get(name, "-"))
            console.print(table)


def prune(*, images: bool, everything: bool) -> None:
    from takehome_harness.harness.leftovers import remove_abandoned_temp_folders

    try:
        client = docker_backend.connect_engine()
    except SandboxUnavailable:
        client = None
    report = docker_backend.prune(client, images=images, everything=everything) if client else None
    temp_dirs = remove_abandoned_temp_folders(everything=everything)
    removed_images = report.images if report else []
    Console().print(f"removed {report.containers if report else 0} container(s), {len(removed_images)} image(s)"
                    f"{': ' + ', '.join(removed_images) if removed_images else ''}, {temp_dirs} temp folder(s)")
