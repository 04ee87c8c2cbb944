"""`harness sandbox build|status|prune`: rich output around the image functions of the Docker backend."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from harness.errors import SandboxUnavailable
from harness.sandbox import docker_backend
from harness.sandbox.packages import HEADLINE_PACKAGES


def build(*, offline: bool, base_image: str | None) -> str:
    console = Console(stderr=True)
    client = docker_backend.connect_engine()
    with console.status("building the sandbox image") as spinner:
        def progress(message: str) -> None:
            console.log(message)
            spinner.update(message)

        tag = docker_backend.build_image(client, offline=offline, progress=progress, base_image=base_image)
    console.print(f"[green]sandbox image ready:[/] {tag}")
    return tag


def status() -> None:
    console = Console()
    try:
        client, problem = docker_backend.connect_engine(), None
    except SandboxUnavailable as exc:
        client, problem = None, str(exc)
    info = docker_backend.image_status(client, problem)
    if info.engine is None:
        console.print(f"[red]engine:[/] not reachable - {info.problem}")
    else:
        console.print(f"[green]engine:[/] Docker {info.engine}")
    state = "[green]present[/]" if info.present else "[yellow]missing[/] (run: harness sandbox build [--offline])"
    console.print(f"image:  {info.expected_tag} {state}")
    if info.other_tags:
        console.print(f"stale:  {', '.join(info.other_tags)} (harness sandbox prune removes them)")
    if info.packages:
        table = Table("package", "version in image")
        by_name = {name.lower(): version for name, version in info.packages.items()}
        for name in HEADLINE_PACKAGES:
            table.add_row(name, by_name.get(name, "-"))
        console.print(table)


def prune(*, images: bool, everything: bool) -> None:
    from harness.leftovers import remove_abandoned_temp_folders

    try:
        client = docker_backend.connect_engine()
    except SandboxUnavailable:
        client = None
    report = docker_backend.prune(client, images=images, everything=everything) if client else None
    temp_dirs = remove_abandoned_temp_folders(everything=everything)
    removed_images = report.images if report else []
    Console().print(f"removed {report.containers if report else 0} container(s), {len(removed_images)} image(s)"
                    f"{': ' + ', '.join(removed_images) if removed_images else ''}, {temp_dirs} temp folder(s)")
