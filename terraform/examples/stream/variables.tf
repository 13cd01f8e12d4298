variable "name" {
  description = "The stream's name."
  type        = string
  default     = "sluice-example-raw"
}
