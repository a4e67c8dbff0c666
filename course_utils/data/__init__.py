"""Named datasets, image folders and toy sets, each load saying where its data came from."""

from course_utils.data.arrays import TANH_RANGE, UNIT_RANGE, ImageData, to_range, to_uint8
from course_utils.data.emoji import colour_folder, emoji_folder
from course_utils.data.errors import ChecksumError, DataError, DownloadError
from course_utils.data.folder import (
    IMAGE_EXTENSIONS,
    check_image_folder,
    image_folder_dataset,
    load_folder,
)
from course_utils.data.loaders import dataset_names, load, load_emoji, load_shapes
from course_utils.data.neighbours import nearest, pool_at
from course_utils.data.toy import ring_centres, ring_of_gaussians

__all__ = [
    "IMAGE_EXTENSIONS", "TANH_RANGE", "UNIT_RANGE", "ChecksumError", "DataError",
    "DownloadError", "ImageData", "check_image_folder", "colour_folder", "dataset_names",
    "emoji_folder", "image_folder_dataset", "load", "load_emoji", "load_folder", "load_shapes",
    "nearest", "pool_at", "ring_centres",
    "ring_of_gaussians", "to_range", "to_uint8",
]
