"""``drive.mount`` as the rehearsal needs it: ``<mount point>/MyDrive`` becomes the persistent folder
named by ``$COLAB_REHEARSAL_DRIVE`` (Colab asks for permission and mounts Google Drive there)."""

import os
from pathlib import Path


def mount(mountpoint: str, force_remount: bool = False) -> None:
    """Make ``mountpoint/MyDrive`` the persistent folder and say so, as Colab does."""
    persistent = Path(os.environ["COLAB_REHEARSAL_DRIVE"])
    persistent.mkdir(parents=True, exist_ok=True)
    link = Path(mountpoint) / "MyDrive"
    link.parent.mkdir(parents=True, exist_ok=True)
    if force_remount and link.is_symlink():
        link.unlink()
    if not link.exists():
        link.symlink_to(persistent, target_is_directory=True)
    print(f"Mounted at {mountpoint}")
