variable "name" {
  description = "Name prefix."
  type        = string
}

variable "region" {
  description = "Region of the dashboard's metrics."
  type        = string
}

variable "function_names" {
  description = "Stage functions shown on the dashboard."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "Addresses subscribed to the alert topic."
  type        = list(string)
  default     = []
}

variable "anomaly_band_width" {
  description = "Standard deviations of the anomaly-detection band."
  type        = number
  default     = 3
}

variable "create_kms_key" {
  description = "Create a customer-managed key for the topic and the table (the secure default)."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "An existing customer-managed key, when create_kms_key is false."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
