"""Reading inputs and writing outputs safely (images, videos, JSON records), always atomically."""
